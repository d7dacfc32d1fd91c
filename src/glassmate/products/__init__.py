"""Products: GTINs, the catalog of products, merchants and offers, and price comparison."""
