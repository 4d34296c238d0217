"""EEO self-identification: voluntary answers kept apart from hiring decisions (scope `ats:eeo`), aggregate reports."""
