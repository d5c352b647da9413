"""Monthly reports: figures in SQL, charts (PNG) and a workbook (XLSX) for one scope and month.

``scope`` decides whose points a reader sees, ``figures`` asks the database (GROUP BY, reusing
``services.figures``' definitions of the rates), ``charts`` and ``workbook`` render, ``service``
puts them together and sends the monthly report through the reminders.
"""
