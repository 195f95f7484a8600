.PHONY: demo test bench

demo:  ## a local Odoo with relationship_health and its demo data on http://localhost:8069
	./tools/dev.sh demo

test:  ## install the addon in a throwaway database and run every test
	./tools/dev.sh test

bench:  ## the nightly job at scale (see README, Benchmark)
	./tools/dev.sh bench
