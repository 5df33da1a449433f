"""The demo catalogue shipped with the project (Behind the Door, Almaty)."""
