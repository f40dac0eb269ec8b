#!/usr/bin/env bash
# Regenerates the C# of the ONNX schema subset DistillDiff writes (src/DistillDiff.Export/Onnx/Proto).
# Needs protoc (Debian: apt-get install protobuf-compiler; made with libprotoc 3.21.12).
set -euo pipefail
cd "$(dirname "$0")/../src/DistillDiff.Export/Onnx/Proto"
protoc --csharp_out=. --csharp_opt=file_extension=.g.cs onnx_subset.proto
