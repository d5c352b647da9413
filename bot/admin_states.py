"""The steps of the administrator's menu (handlers/admin/) where it waits for typed input.

Browsing the menu itself needs no state: each button carries what it shows. What a step works
on (the point being edited, the search, the new point so far) is kept in the FSM data.
"""

from aiogram.fsm.state import State, StatesGroup


class AdminFlow(StatesGroup):
    point_search = State()  # a contact point's name, code, address or region
    pick_search = State()  # narrowing a list of points to pick from (assigning, inviting)
    # Adding a contact point, one field a step.
    new_name = State()
    new_code = State()
    new_region = State()
    new_address = State()
    new_location = State()  # a location shared from the map, or skipped
    new_tz = State()  # a button, or an IANA name typed
    # Editing one field of a point (which one is in the data).
    edit_value = State()
    edit_location = State()
    invite_region = State()  # the region of a new administrator or inspector
    # Categories: a new one (code, then names), or new names for one.
    category_code = State()
    category_name_zh = State()
    category_name_en = State()
    policy_value = State()  # a number of the visit rule (which one, and where, is in the data)
