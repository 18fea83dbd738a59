"""The operator wall and the other pages, as a Dash app (see app.create_app)."""
