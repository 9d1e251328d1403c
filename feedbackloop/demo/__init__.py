"""The demo data set: the reviews (demo_reviews.csv.gz, loaded by feedback/demo.py) and a quarter of work on them."""
