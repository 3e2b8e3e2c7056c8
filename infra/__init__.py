"""Infrastructure as code for Whistle: CloudFormation derived from the PynamoDB models and the
Chalice app, plus the packaging and deployment steps (`make package`, `make deploy`)."""
