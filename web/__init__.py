"""The vnsearch web app (Flask): the search page and the JSON API over ``search``."""
