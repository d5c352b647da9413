"""The weekly digest of recurring problems: the week's cases grouped by what they are about
(``grouping``: jieba + TF-IDF + agglomerative clustering), compared with the four weeks before,
with short excerpts whose personal data is masked (``masking``); ``service`` builds and sends it.
"""
