"""The person profile both systems keep (ATS candidate, CRM prospect): columns, schemas, rules, routes.

Written once here; each service's feature folder binds it to its own table, topic and event names."""
