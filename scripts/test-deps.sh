#!/usr/bin/env bash
# Installs what the tests need when it is missing: redis-server (Debian package), and versitygw and the
# AWS Lambda Runtime Interface Emulator (built with go install into ./.tools). Idempotent and quiet
# when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${FROCKET_TOOLS_DIR:-$PWD/.tools}"
VERSITYGW_VERSION=v1.8.0
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d

if ! command -v redis-server >/dev/null 2>&1; then
  echo "test-deps: installing redis-server"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi

mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/versitygw" ]; then
  echo "test-deps: building versitygw $VERSITYGW_VERSION into $TOOLS (the first build takes minutes)"
  (cd /tmp && GOBIN="$TOOLS" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION")
fi
if [ ! -x "$TOOLS/aws-lambda-rie" ]; then
  echo "test-deps: building aws-lambda-rie into $TOOLS"
  (cd /tmp && GOBIN="$TOOLS" GOFLAGS=-mod=mod go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION")
fi
