#!/bin/sh
# Stands in for a template renderer (kapitan, helm template, …): collects every image in one file.
set -e
grep -rhoE '127\.0\.0\.1:5055/[a-z/]+:[A-Za-z0-9._-]+' dev prod inventory | sort -u > rendered-images.txt
