namespace DistillDiff.Data.Datasets;

using DistillDiff.Engine;

/// <summary>
/// A finite, indexable set of training samples held in host memory. Batches are assembled on demand for the
/// indices a <see cref="BatchSampler"/> picks, so the dataset itself has no notion of order or epochs.
/// </summary>
public interface IDataset
{
    /// <summary>Short identifier for logs and run metadata, e.g. <c>fashion_mnist/train</c>.</summary>
    string Name { get; }

    /// <summary>Number of samples; valid indices are 0 .. Count-1.</summary>
    long Count { get; }

    /// <summary>Shape of one sample without the batch dim, e.g. [1, 28, 28] or [2].</summary>
    long[] SampleShape { get; }

    /// <summary>Number of classes for conditional models, or 0 when the data is unlabelled.</summary>
    int NumClasses { get; }

    /// <summary>The samples at <paramref name="indices"/> on <paramref name="device"/>, created in the caller's dispose scope.</summary>
    Batch GetBatch(long[] indices, Device device);
}
