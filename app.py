"""Whistle (吹哨): the Chalice app. It registers the three blueprints and nothing else."""

from chalice import Chalice

from functions.dispatch import dispatch
from functions.intake import intake
from functions.metrics import metrics

app = Chalice(app_name="whistle")
app.register_blueprint(intake)
app.register_blueprint(dispatch)
app.register_blueprint(metrics)
