namespace DistillDiff.Data.Tests.Metrics;

using DistillDiff.Data.Metrics;

public class SymmetricEigenTests
{
    [Fact]
    public void TwoByTwo()
    {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3 with eigenvectors (1, -1)/√2 and (1, 1)/√2.
        var (values, vectors) = SymmetricEigen.Decompose(new double[,] { { 2, 1 }, { 1, 2 } });
        Assert.Equal(1, values[0], 12);
        Assert.Equal(3, values[1], 12);
        Assert.Equal(1, Math.Abs(vectors[0, 1] + vectors[1, 1]) / Math.Sqrt(2), 12);
        Assert.Equal(0, vectors[0, 0] + vectors[1, 0], 12);
    }

    [Fact]
    public void ThreeByThreeWithKnownSpectrum()
    {
        // The second-difference matrix tridiag(-1, 2, -1) of size n has eigenvalues 2 - 2 cos(kπ/(n+1)): 2 - √2, 2, 2 + √2.
        var (values, _) = SymmetricEigen.Decompose(new double[,] { { 2, -1, 0 }, { -1, 2, -1 }, { 0, -1, 2 } });
        Assert.Equal(2 - Math.Sqrt(2), values[0], 12);
        Assert.Equal(2, values[1], 12);
        Assert.Equal(2 + Math.Sqrt(2), values[2], 12);
    }

    [Fact]
    public void ReconstructsARandom64x64Matrix()
    {
        const int n = 64;
        var rng = new Xoshiro256StarStar(5);
        var a = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j <= i; j++)
                a[i, j] = a[j, i] = rng.NextGaussian();
        var (values, v) = SymmetricEigen.Decompose(a);
        Assert.True(values.Zip(values.Skip(1)).All(p => p.First <= p.Second));
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                double reconstructed = 0, gram = 0;
                for (var k = 0; k < n; k++)
                {
                    reconstructed += v[i, k] * values[k] * v[j, k];
                    gram += v[k, i] * v[k, j];
                }
                Assert.Equal(a[i, j], reconstructed, 10);
                Assert.Equal(i == j ? 1 : 0, gram, 12);
            }
    }

    [Fact]
    public void SqrtOfAPositiveDefiniteMatrixSquaresBack()
    {
        var a = new double[,] { { 4, 1, 0.5 }, { 1, 3, 0.2 }, { 0.5, 0.2, 2 } };
        var r = SymmetricEigen.Sqrt(a);
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
            {
                var s = 0.0;
                for (var k = 0; k < 3; k++) s += r[i, k] * r[k, j];
                Assert.Equal(a[i, j], s, 12);
                Assert.Equal(r[i, j], r[j, i], 14);
            }
    }

    [Fact]
    public void HandlesDiagonalZeroAndSingularMatrices()
    {
        var (values, _) = SymmetricEigen.Decompose(new double[,] { { 0, 0 }, { 0, 0 } });
        Assert.Equal(new double[] { 0, 0 }, values);
        (values, _) = SymmetricEigen.Decompose(new double[,] { { 1, 1 }, { 1, 1 } });
        Assert.Equal(0, values[0], 14);
        Assert.Equal(2, values[1], 14);
    }

    [Fact]
    public void RejectsNonSymmetricOrNonSquareInput()
    {
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[,] { { 1, 2 }, { 0, 1 } }));
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[2, 3]));
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[,] { { double.NaN } }));
    }
}
