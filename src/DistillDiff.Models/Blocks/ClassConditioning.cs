namespace DistillDiff.Models.Blocks;

using DistillDiff.Engine;
using DistillDiff.Engine.Nn;

/// <summary>Adds an nn.Embedding of class labels to the time embedding, with diffusers' errors for a missing or unexpected label.</summary>
internal static class ClassConditioning
{
    public static Tensor Add(Tensor emb, Embedding? classEmbedding, Tensor? classLabels, long batch, string model)
    {
        if (classEmbedding is null)
        {
            if (classLabels != null)
                throw new ArgumentException($"class labels were given to an unconditional {model} (set num_class_embeds)");
            return emb;
        }
        if (classLabels is null)
            throw new ArgumentException(
                $"this {model} is class-conditional: pass class labels (for unconditional calls reserve a label, e.g. num_class_embeds = classes + 1)");
        if (classLabels.Dim != 1 || classLabels.Size(0) != batch)
            throw new ArgumentException($"class labels must be [{batch}] int64, got [{string.Join(", ", classLabels.Shape)}]");
        return emb + classEmbedding.Forward(classLabels).To(emb.DType);
    }
}
