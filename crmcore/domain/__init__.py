"""Pure domain: attrs classes and enums that cross the API boundary. No I/O here."""
