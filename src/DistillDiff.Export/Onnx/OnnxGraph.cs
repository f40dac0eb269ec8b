namespace DistillDiff.Export.Onnx;

using System.Runtime.InteropServices;
using DistillDiff.Export.Onnx.Proto;
using Google.Protobuf;

/// <summary>
/// Builds one ONNX graph: nodes with fresh output names, initializers (weights, shape constants), graph inputs and
/// outputs, then the ModelProto around it. Names are unique by construction (a counter), so emitters never clash.
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>ONNX opset the exporter targets; LayerNormalization needs 17.</summary>
    public const int Opset = 17;

    /// <summary>IR version 8 is the one that goes with opset 17 (ONNX 1.12).</summary>
    public const int IrVersion = 8;

    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _int64Scalars = new();
    private int _counter;

    public OnnxGraph(string name) => _graph = new GraphProto { Name = name };

    public GraphProto Proto => _graph;

    /// <summary>A name not used yet in this graph, readable for debugging ("down_blocks.0.resnets.0.conv1/Conv_12").</summary>
    public string Fresh(string hint)
    {
        string name;
        do name = $"{hint}_{_counter++}";
        while (!_names.Add(name));
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, string hint, params AttributeProto[] attributes) =>
        NodeN(opType, inputs, 1, hint, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs.</summary>
    public string[] NodeN(string opType, IReadOnlyList<string> inputs, int outputs, string hint, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Fresh($"{hint}/{opType}") };
        node.Input.AddRange(inputs);
        var names = new string[outputs];
        for (var i = 0; i < outputs; i++) names[i] = Fresh($"{hint}/{opType}_out");
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return names;
    }

    /// <summary>Gives a tensor a fixed name (for graph outputs) through an Identity node.</summary>
    public void Rename(string tensor, string name)
    {
        if (!_names.Add(name)) throw new ArgumentException($"name '{name}' is already used in the graph");
        var node = new NodeProto { OpType = "Identity", Name = Fresh("rename") };
        node.Input.Add(tensor);
        node.Output.Add(name);
        _graph.Node.Add(node);
    }

    /// <summary>A float32 initializer (row-major data of the given dims).</summary>
    public string Floats(string hint, float[] data, params long[] dims)
    {
        CheckCount(hint, data.Length, dims);
        var t = new TensorProto { Name = Fresh(hint), DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>An int8 initializer (quantized weights).</summary>
    public string Int8s(string hint, sbyte[] data, params long[] dims)
    {
        CheckCount(hint, data.Length, dims);
        var t = new TensorProto { Name = Fresh(hint), DataType = (int)TensorProto.Types.DataType.Int8 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>An int32 initializer (quantized biases).</summary>
    public string Int32s(string hint, int[] data, params long[] dims)
    {
        CheckCount(hint, data.Length, dims);
        var t = new TensorProto { Name = Fresh(hint), DataType = (int)TensorProto.Types.DataType.Int32 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A uint8 initializer (activation zero points).</summary>
    public string UInt8s(string hint, byte[] data, params long[] dims)
    {
        CheckCount(hint, data.Length, dims);
        var t = new TensorProto { Name = Fresh(hint), DataType = (int)TensorProto.Types.DataType.Uint8 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(data);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A 1-d int64 initializer (shapes, axes, pads).</summary>
    public string Int64s(string hint, params long[] data)
    {
        var t = new TensorProto { Name = Fresh(hint), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(data.Length);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A float32 scalar initializer (0-d).</summary>
    public string Scalar(string hint, float value)
    {
        var t = new TensorProto { Name = Fresh(hint), DataType = (int)TensorProto.Types.DataType.Float };
        t.RawData = ByteString.CopyFrom(BitConverter.GetBytes(value));
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A graph input; a null dim is symbolic, named by <paramref name="symbols"/> at the same position.</summary>
    public void Input(string name, TensorProto.Types.DataType type, long?[] dims, string?[] symbols) =>
        _graph.Input.Add(ValueInfo(name, type, dims, symbols));

    public void Output(string name, TensorProto.Types.DataType type, long?[] dims, string?[] symbols) =>
        _graph.Output.Add(ValueInfo(name, type, dims, symbols));

    /// <summary>Exposes an inner float tensor as an extra graph output of unknown shape (calibration reads it).</summary>
    public void ExtraOutput(string name) =>
        _graph.Output.Add(new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });

    /// <summary>Wraps the graph in a model with the opset import and string metadata.</summary>
    public ModelProto ToModel(IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "distilldiff",
            ProducerVersion = typeof(OnnxGraph).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (k, v) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long?[] dims, string?[] symbols)
    {
        var shape = new TensorShapeProto();
        for (var i = 0; i < dims.Length; i++)
            shape.Dim.Add(dims[i] is long d
                ? new TensorShapeProto.Types.Dimension { DimValue = d }
                : new TensorShapeProto.Types.Dimension { DimParam = symbols[i] ?? $"d{i}" });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static void CheckCount(string hint, int count, long[] dims)
    {
        var expected = dims.Aggregate(1L, (a, b) => a * b);
        if (expected != count) throw new ArgumentException($"initializer '{hint}': {count} values for dims [{string.Join(", ", dims)}]");
    }
}
