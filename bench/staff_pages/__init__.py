"""How long the staff pages take on a site with months of data."""
