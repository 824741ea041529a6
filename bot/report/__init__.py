"""The centre's accountability report: figures (aggregation pipelines), charts and exports."""
