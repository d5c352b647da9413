"""Every module that defines tables, imported once so the metadata is complete (migrations,
tests). A feature with its own tables adds its module here."""

import models.case_cards
import models.channels
import models.consultations
import models.notices
import models.presses
import models.tables
import models.tipoffs
import models.visits  # noqa: F401
