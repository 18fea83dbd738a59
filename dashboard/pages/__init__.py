"""One module a page: each registers its page, layout and callbacks."""
