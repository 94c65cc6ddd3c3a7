"""The JSON API described as an OpenAPI 3.1 document (served at /api/openapi.json and shown at /api/docs)."""

from __future__ import annotations

from auditor.version import __version__
from auditor.web.uploads import ACCEPTED

_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "string",
            "description": "One-line message naming the file (and sheet, row, column where known).",
        }
    },
}
_RUN = {
    "type": "object",
    "properties": {
        "id": {
            "type": ["string", "null"],
            "description": "This server's run id (null for a run known only from the run history).",
        },
        "source": {
            "type": "string",
            "enum": ["server", "history"],
            "description": "server: a run of this server "
            "(its reports are held); history: a run recorded in the run history whose report files this "
            "server does not keep.",
        },
        "history_run_id": {
            "type": ["integer", "null"],
            "description": "The run's id in the run history (`cdm-audit history RUN`), once recorded.",
        },
        "report_kept": {
            "type": "boolean",
            "description": "Whether this server holds the run's report files.",
        },
        "status": {
            "type": "string",
            "enum": ["queued", "reading", "review", "auditing", "writing", "done", "failed", "recorded"],
        },
        "detail": {"type": "string", "description": "Progress note, e.g. 'read 295 rows' or '41 findings'."},
        "created": {"type": "string", "format": "date-time"},
        "elapsed_seconds": {"type": "number"},
        "as_of": {"type": "string", "format": "date"},
        "inputs": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "role": {"type": "string", "enum": ["chargemaster", "pairing-table"]},
                    "size": {"type": "integer"},
                    "sha256": {"type": "string", "description": "History runs."},
                },
            },
        },
        "options": {
            "type": "object",
            "description": "How the files are read: columns and header_row / no_header "
            "for every sheet, sheets (per-sheet choices: header_row, kind, columns), read_sheets, profile, "
            "keep, review; and how they are audited: config (the uploaded facility configuration's name, "
            "or null), select (edit codes, or null for every edit), ignore (edit codes).",
        },
        "summary": {
            "type": "object",
            "description": "When done: rows read/audited/skipped, findings by severity, "
            "category, family and edit (the `summary` of findings.json).",
        },
        "problems": {
            "type": "object",
            "description": "When done: problems (one edit's findings on one code, charge code or file) by "
            "severity, not waived: total, error, warning, info, waived.",
        },
        "top_problem": {
            "type": ["object", "null"],
            "description": "When done: the first problem to fix (rank, id, edit, name, severity, subject, lines, "
            "amount, basis, message), as in findings.json `problems`; null when there is none.",
        },
        "error": {"type": "string", "description": "When failed: the one-line message."},
        "error_status": {"type": "integer", "description": "When failed: 400 for bad input, 500 otherwise."},
        "review": {
            "type": "object",
            "description": "When status is review: reasons (what is doubtful, e.g. a "
            "column that is a guess and the runner-up, a sheet read without a header row, a long sheet set "
            "aside, no CPT/HCPCS or charge code column), and per file and sheet its kind and why, its header "
            "row (0: none, every line is data; null: no table found), the analyst's choice, per column its "
            "letter, header, field and confidence, and the first rows.",
        },
        "links": {
            "type": "object",
            "description": "self, page; when done also report, findings, xlsx, json, csv, "
            "run_csv, html (and history when recorded); when in review, mapping. Empty for history runs.",
        },
        "facility": {"type": "string", "description": "History runs: the facility name."},
        "quarter": {"type": "string"},
        "counts": {
            "type": "object",
            "description": "History runs: errors, warnings, infos, waived, findings, rows_audited.",
        },
        "note": {"type": "string", "description": "History runs: where to see the recorded findings."},
    },
}


def _json(schema: dict, description: str) -> dict:
    """A JSON response entry."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(
        _ERROR,
        "Bad input: empty, damaged, disguised or unreadable file, bad date, unknown field, "
        "unknown edit code, a facility configuration with a [lists] section.",
    ),
    "401": _json(_ERROR, "An access token is set (`--token`) and none was sent."),
    "403": _json(_ERROR, "Cross-site request."),
    "413": _json(_ERROR, "The upload is larger than --max-upload-mb."),
    "415": _json(
        _ERROR,
        f"A file type other than {', '.join(ACCEPTED)} (.toml for the configuration), or a "
        "body that is not multipart.",
    ),
}
_ID = [{"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}}]

OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "cdm-audit web API",
        "version": __version__,
        "description": "Upload chargemaster files (and pairing tables), follow the audit, fetch the findings. "
        "The same core and report writers as the `cdm-audit audit` command.",
    },
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "Only when the server runs with --token.",
            }
        }
    },
    "paths": {
        "/api/audits": {
            "post": {
                "summary": "Upload files and start an audit",
                "description": "Answers 202 with the run (status queued) and a Location header; poll "
                "GET /api/audits/{id}. With `wait=true` (query or form field) it answers when the "
                "audit is done (200), failed (400/500) or waits for a mapping review (200).",
                "parameters": [{"name": "wait", "in": "query", "schema": {"type": "boolean"}}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["files"],
                                "properties": {
                                    "files": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                        "description": "Chargemaster file(s); repeat the field for several.",
                                    },
                                    "pairing_table": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                        "description": "Encoder pairing table(s), optional.",
                                    },
                                    "config": {
                                        "type": "string",
                                        "format": "binary",
                                        "description": "The facility "
                                        "configuration (auditor.toml, as for `cdm-audit audit --config`), optional: "
                                        "disabled edits, severities, revenue codes, pricing, waivers. A [lists] section "
                                        "is refused (its list files are not part of the upload).",
                                    },
                                    "select": {
                                        "type": "string",
                                        "description": "Only these edit codes or two-letter "
                                        "families, separated by commas or spaces (like --select), e.g. SS,NS001.",
                                    },
                                    "ignore": {
                                        "type": "string",
                                        "description": "Skip these edit codes or families (like --ignore).",
                                    },
                                    "as_of": {
                                        "type": "string",
                                        "format": "date",
                                        "description": "Default: today.",
                                    },
                                    "profile": {
                                        "type": "string",
                                        "description": "Name of a saved column profile.",
                                    },
                                    "columns": {
                                        "type": "string",
                                        "description": "JSON object field -> column header, "
                                        'letter or 1-based number, for every sheet, e.g. {"revenue_code": "UB CODE"}.',
                                    },
                                    "column": {
                                        "type": "array",
                                        "items": {"type": "string"},
                                        "description": "FIELD=HEADER, repeatable (like --column).",
                                    },
                                    "header_row": {
                                        "type": "integer",
                                        "minimum": 1,
                                        "description": "For every sheet.",
                                    },
                                    "no_header": {
                                        "type": "boolean",
                                        "description": "Every sheet has no header row: every "
                                        "line is data (like --no-header).",
                                    },
                                    "sheets": {
                                        "type": "string",
                                        "description": "JSON object sheet name -> {header_row (0: "
                                        "no header row), kind, columns}, as for the mapping endpoint. A text file's "
                                        "sheet is named after the file.",
                                    },
                                    "review": {
                                        "type": "string",
                                        "enum": ["true", "auto", "false"],
                                        "description": "true: stop for a mapping review (status review); auto: stop "
                                        "only when header detection is unsure (what the page does); false (default): "
                                        "audit with the detected mapping, like the CLI.",
                                    },
                                    "keep": {
                                        "type": "boolean",
                                        "description": "Keep the uploaded files while the server "
                                        "runs (default: deleted after the audit).",
                                    },
                                    "wait": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_RUN, "Finished (wait=true)."),
                    "202": _json(_RUN, "Accepted."),
                    **_ERRORS,
                },
            },
            "get": {
                "summary": "List the audits of this server and the runs recorded in the run history, newest first",
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"audits": {"type": "array", "items": _RUN}}},
                        "The runs.",
                    )
                },
            },
        },
        "/api/audits/{run_id}": {
            "get": {
                "summary": "Status, progress, summary or error of one audit",
                "parameters": _ID
                + [
                    {
                        "name": "wait",
                        "in": "query",
                        "schema": {"type": "boolean"},
                        "description": "Answer when the run is finished or waits for review.",
                    }
                ],
                "responses": {
                    "200": _json(_RUN, "The run (a failed run is 200 here, with error and error_status)."),
                    "404": _json(_ERROR, "No such run on this server."),
                },
            }
        },
        "/api/audits/{run_id}/findings": {
            "get": {
                "summary": "findings.json of a finished audit",
                "parameters": _ID,
                "responses": {
                    "200": {
                        "description": "The findings document (run, summary, problems, findings, skipped_rows).",
                        "content": {"application/json": {}},
                    },
                    "409": _json(_ERROR, "Not done yet."),
                },
            }
        },
        "/api/audits/{run_id}/mapping": {
            "post": {
                "summary": "Correct how an audit waiting for review reads its sheets, then audit",
                "description": "Only what the body names changes; earlier choices (other sheets, other columns) stay. "
                'Example: {"sheets": {"Supplies": {"header_row": 0, "columns": '
                '{"price": "C"}}, "Index": {"kind": "summary"}}, "review_again": true}',
                "parameters": _ID,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "sheets": {
                                        "type": "object",
                                        "description": "sheet name (as in review.files[].sheets[].name) -> "
                                        "{header_row: row number, 0 for no header row (every line is data), null to detect; "
                                        "kind: cdm | pharmacy | professional_fee | removed | summary (not a chargemaster), "
                                        "null to detect (price_view only keeps a detected price view); columns: field -> header text, column letter (C) or "
                                        "1-based number, null to drop a choice}. A choice wins over the settings below.",
                                        "additionalProperties": {
                                            "type": "object",
                                            "properties": {
                                                "header_row": {"type": ["integer", "null"], "minimum": 0},
                                                "kind": {
                                                    "type": ["string", "null"],
                                                    "enum": [
                                                        "cdm",
                                                        "pharmacy",
                                                        "price_view",
                                                        "professional_fee",
                                                        "removed",
                                                        "summary",
                                                        None,
                                                    ],
                                                },
                                                "columns": {
                                                    "type": "object",
                                                    "additionalProperties": {"type": ["string", "null"]},
                                                },
                                            },
                                        },
                                    },
                                    "columns": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                        "description": "For every sheet: field -> column header, letter or number.",
                                    },
                                    "header_row": {
                                        "type": ["integer", "null"],
                                        "description": "For every sheet (0: no header row; null: detect).",
                                    },
                                    "no_header": {
                                        "type": "boolean",
                                        "description": "Every sheet has no header row.",
                                    },
                                    "review_again": {
                                        "type": "boolean",
                                        "description": "Re-read and stop for review again.",
                                    },
                                    "wait": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_RUN, "Accepted (or finished with wait)."),
                    **_ERRORS,
                    "409": _json(_ERROR, "The run is not waiting for review."),
                },
            }
        },
        "/runs/{run_id}/{name}": {
            "get": {
                "summary": "Download a report file of a finished audit",
                "parameters": _ID
                + [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "enum": [
                                "report.xlsx",
                                "findings.json",
                                "findings.csv",
                                "findings-run.csv",
                                "report.html",
                            ],
                        },
                    }
                ],
                "responses": {
                    "200": {"description": "The file, as an attachment."},
                    "404": {"description": "Unknown run or file, or not done (an HTML page)."},
                },
            }
        },
    },
}
