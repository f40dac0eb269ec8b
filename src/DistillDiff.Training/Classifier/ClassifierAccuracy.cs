namespace DistillDiff.Training.Classifier;

using DistillDiff.Data.Datasets;
using DistillDiff.Engine;
using DistillDiff.Models.Classifier;

/// <summary>Top-1 accuracy of the feature classifier on a labelled data set (the 10,000-image test split).</summary>
public static class ClassifierAccuracy
{
    public static double Measure(FashionMnistClassifier model, IDataset data, Device device, int batchSize = 500)
    {
        using var noGrad = Torch.NoGrad();
        long correct = 0;
        for (long start = 0; start < data.Count; start += batchSize)
        {
            using var scope = Torch.NewDisposeScope();
            var n = Math.Min(batchSize, data.Count - start);
            var batch = data.GetBatch(Enumerable.Range(0, (int)n).Select(i => start + i).ToArray(), device);
            var predicted = model.Logits(model.Features(batch.X)).ArgMax(1);
            correct += (long)predicted.Eq(batch.Labels!).To(DType.Int64).Sum().Item();
        }
        return correct / (double)data.Count;
    }
}
