"""Domain services: the logic lives here; services flush, the request commits once."""
