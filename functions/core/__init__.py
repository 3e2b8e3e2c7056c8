"""Domain and adapters shared by the intake, dispatch and metrics functions."""
