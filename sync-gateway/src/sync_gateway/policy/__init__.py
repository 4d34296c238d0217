"""Field ownership: deciding, field by field, what a change on one side writes to the other."""
