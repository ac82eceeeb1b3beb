"""Files in and out: CSV (UTF-8, GBK/GB18030 as Chinese Excel saves them), JSON Lines, XLSX.

Readers yield rows of text cells, writers take rows of values; neither knows what a client is.
The import and export use cases (``crmcore.services.imports`` / ``exports``) give them meaning.
"""

FORMATS = ("csv", "jsonl", "xlsx")


def format_of(path: str, given: str | None = None) -> str:
    """The file format: as given, else from the extension (.csv/.txt, .jsonl/.ndjson, .xlsx)."""
    from crmcore.errors import InvalidInput

    if given:
        if given not in FORMATS:
            raise InvalidInput("format", f"{given!r} is not one of {', '.join(FORMATS)}")
        return given
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    found = {"csv": "csv", "txt": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "xlsx": "xlsx"}
    if suffix not in found:
        raise InvalidInput(
            "format", f"cannot tell the format of {path!r} from its name: give --format"
        )
    return found[suffix]
