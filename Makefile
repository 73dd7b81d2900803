.PHONY: test demo lint bench

# Everything the tests need on a fresh machine, then the whole suite on both cores.
test:
	python -m pip install -q -e '.[test]' -c constraints.txt
	sh scripts/ensure-chromium.sh
	python -m pytest -n 2 --dist loadfile

demo:
	python -m pip install -q -e '.[all]' -c constraints.txt
	auditor demo

lint:
	ruff check .

bench:
	python benchmarks/scan_scale.py
