"""The local stack behind `make dev`: an in-process moto server standing in for DynamoDB, S3,
SES and SNS, the Chalice app at /api, the built SPA at /, and a scheduler.

Nothing here is deployed; the Lambda functions never import it.
"""
