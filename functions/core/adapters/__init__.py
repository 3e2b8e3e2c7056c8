"""Adapters: DynamoDB tables, S3, crypto and the other services behind the ports."""
