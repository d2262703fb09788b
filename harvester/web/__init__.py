"""What researchers browse: Datasette serving, its plugin and charts."""
