namespace DistillDiff.Formats.TensorBoard;

/// <summary>Summary.Image: <see cref="Colorspace"/> is 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; <see cref="EncodedImage"/> is PNG bytes.</summary>
public sealed record TensorBoardImage(int Height, int Width, int Colorspace, byte[] EncodedImage);
