"""Examples and links of the OpenAPI document that several handlers share: a booking that the server accepts
(its date is filled in when the document is served) and the links a client follows from a new booking."""

from __future__ import annotations

EARLIEST_DATE = "@EARLIEST_DATE@"  # replaced by the first bookable date when the document is served

EXAMPLE_BOOKING = {
    "kind": "proxy",
    "item_code": "MZ-007",
    "name": "张桂芬",
    "id_number": "53060219430815002X",
    "phone": "13912345678",
    "preferred_date": EARLIEST_DATE,
    "station": "ZYQ-001",
    "relation": "母亲",
}

_NUMBER = {"number": "$response.body#/number"}
BOOKING_LINKS = {
    "GetBooking": {"operationId": "get_bookings_number", "parameters": _NUMBER, "description": "the booking just made"},
    "CancelBooking": {"operationId": "post_bookings_number_cancel", "parameters": _NUMBER},
    "RateBooking": {"operationId": "post_bookings_number_rating", "parameters": _NUMBER},
    "ListMaterials": {"operationId": "get_bookings_number_materials", "parameters": _NUMBER},
    "UploadMaterial": {"operationId": "post_bookings_number_materials", "parameters": _NUMBER},
}
_FILE = {"number": "$request.path.number", "file_id": "$response.body#/id"}
MATERIAL_LINKS = {
    "DownloadMaterial": {"operationId": "get_bookings_number_materials_file_id", "parameters": _FILE},
    "DeleteMaterial": {"operationId": "delete_bookings_number_materials_file_id", "parameters": _FILE},
}
