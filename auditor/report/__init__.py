"""Report renderers: one document built from an audit, written as JSON, CSV, HTML or Excel."""
