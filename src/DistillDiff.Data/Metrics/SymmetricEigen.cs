namespace DistillDiff.Data.Metrics;

/// <summary>
/// Eigendecomposition of a real symmetric matrix by the cyclic Jacobi method (Golub &amp; Van Loan, Matrix
/// Computations, 4th ed., §8.5.2-8.5.3), in double precision. The engine exposes no LAPACK; Jacobi is short,
/// unconditionally convergent and accurate for small eigenvalues, and O(n³) per sweep is fine for the
/// feature sizes the metrics use (n up to a few hundred).
/// </summary>
public static class SymmetricEigen
{
    /// <summary>Largest matrix accepted: a 512² sweep is ~4·10⁸ multiply-adds, a few seconds over ~10 sweeps.</summary>
    public const int MaxSize = 512;

    private const int MaxSweeps = 100;

    /// <summary>
    /// Eigenvalues in ascending order and the matching orthonormal eigenvectors as the columns of Vectors, so
    /// that matrix = Vectors · diag(Values) · Vectorsᵀ. The input is not modified.
    /// </summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var n = matrix.GetLength(0);
        if (matrix.GetLength(1) != n) throw new ArgumentException($"matrix must be square, got {n}x{matrix.GetLength(1)}", nameof(matrix));
        if (n > MaxSize) throw new ArgumentException($"matrix is {n}x{n}; the Jacobi solver takes at most {MaxSize}x{MaxSize}", nameof(matrix));

        var a = (double[,])matrix.Clone();
        var frobenius2 = 0.0;
        var asymmetry = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                if (!double.IsFinite(a[i, j])) throw new ArgumentException($"matrix[{i}, {j}] is {a[i, j]}", nameof(matrix));
                frobenius2 += a[i, j] * a[i, j];
                asymmetry = Math.Max(asymmetry, Math.Abs(a[i, j] - a[j, i]));
            }
        }
        if (asymmetry > 1e-9 * Math.Sqrt(frobenius2))
            throw new ArgumentException($"matrix is not symmetric (largest |a_ij - a_ji| = {asymmetry:G3})", nameof(matrix));

        var v = new double[n, n];
        for (var i = 0; i < n; i++) v[i, i] = 1;

        var floor = 1e-18 * Math.Sqrt(frobenius2);
        for (var sweep = 0; ; sweep++)
        {
            if (sweep == MaxSweeps) throw new InvalidOperationException($"Jacobi eigen-solver did not converge in {MaxSweeps} sweeps");
            var rotations = 0;
            for (var p = 0; p < n - 1; p++)
                for (var q = p + 1; q < n; q++)
                    if (Rotate(a, v, p, q, floor)) rotations++;
            if (rotations == 0) break;
        }

        var values = new double[n];
        for (var i = 0; i < n; i++) values[i] = a[i, i];
        var order = Enumerable.Range(0, n).OrderBy(i => values[i]).ToArray();
        var sortedValues = new double[n];
        var sortedVectors = new double[n, n];
        for (var c = 0; c < n; c++)
        {
            sortedValues[c] = values[order[c]];
            for (var r = 0; r < n; r++) sortedVectors[r, c] = v[r, order[c]];
        }
        return (sortedValues, sortedVectors);
    }

    /// <summary>The symmetric square root of a positive semi-definite matrix, V·diag(√max(λ, 0))·Vᵀ; tiny negative
    /// eigenvalues from rounding are clipped to 0.</summary>
    public static double[,] Sqrt(double[,] matrix)
    {
        var (values, vectors) = Decompose(matrix);
        var n = values.Length;
        var result = new double[n, n];
        for (var k = 0; k < n; k++)
        {
            var s = Math.Sqrt(Math.Max(values[k], 0));
            if (s == 0) continue;
            for (var i = 0; i < n; i++)
            {
                var vik = vectors[i, k] * s;
                for (var j = 0; j < n; j++) result[i, j] += vik * vectors[j, k];
            }
        }
        return result;
    }

    // Zeroes a[p, q] with the symmetric Schur rotation J = [[c, s], [-s, c]]: a ← Jᵀ a J, v ← v J (GvL Alg. 8.5.1).
    // An entry below rounding level, relative to its diagonal pair (which keeps small eigenvalues accurate,
    // Demmel & Veselić 1992) or to the whole matrix, is set to 0 instead; a sweep without rotations ends the loop.
    private static bool Rotate(double[,] a, double[,] v, int p, int q, double floor)
    {
        var apq = a[p, q];
        if (apq == 0) return false;
        if (Math.Abs(apq) <= floor || Math.Abs(apq) <= 1.1e-16 * Math.Sqrt(Math.Abs(a[p, p] * a[q, q])))
        {
            a[p, q] = a[q, p] = 0;
            return false;
        }
        var tau = (a[q, q] - a[p, p]) / (2 * apq);
        var t = tau >= 0 ? 1 / (tau + Math.Sqrt(1 + tau * tau)) : -1 / (-tau + Math.Sqrt(1 + tau * tau));
        var c = 1 / Math.Sqrt(1 + t * t);
        var s = t * c;
        var n = a.GetLength(0);
        for (var k = 0; k < n; k++)
        {
            var akp = a[k, p];
            var akq = a[k, q];
            a[k, p] = c * akp - s * akq;
            a[k, q] = s * akp + c * akq;
        }
        for (var k = 0; k < n; k++)
        {
            var apk = a[p, k];
            var aqk = a[q, k];
            a[p, k] = c * apk - s * aqk;
            a[q, k] = s * apk + c * aqk;
        }
        a[p, q] = a[q, p] = 0; // exactly zero in exact arithmetic; drop the rounding residue
        for (var k = 0; k < n; k++)
        {
            var vkp = v[k, p];
            var vkq = v[k, q];
            v[k, p] = c * vkp - s * vkq;
            v[k, q] = s * vkp + c * vkq;
        }
        return true;
    }
}
