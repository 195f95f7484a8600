.PHONY: demo test test-host test-host-baseline lint format bench

demo:  ## a local Odoo with relationship_health and its demo data on http://localhost:8069
	./tools/dev.sh demo

test:  ## install the addon in a throwaway database and run every test
	./tools/dev.sh test

test-host:  ## Odoo's own tests of the host modules, with our addons installed (see README, Tests)
	./tools/dev.sh test-host

test-host-baseline:  ## the same without our addons: rewrites tools/host-tests-baseline.txt
	./tools/dev.sh test-host --baseline

lint:  ## OCA's mandatory pylint-odoo checks, OCA's manifest, XML, CSV and PO checks
	./tools/dev.sh lint

format:  ## apply the Python formatter and OCA's automatic fixes of manifests and XML files
	./tools/dev.sh format

bench:  ## the nightly job at scale (see README, Benchmark)
	./tools/dev.sh bench
