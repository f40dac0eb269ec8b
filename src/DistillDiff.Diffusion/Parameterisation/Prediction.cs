namespace DistillDiff.Diffusion.Parameterisation;

/// <summary>What a network's output means (Salimans and Ho 2022, sec. 4).</summary>
public enum Prediction
{
    /// <summary>The noise eps (diffusers "epsilon"). x(eps) = (z - sigma eps) / alpha blows up as alpha -> 0.</summary>
    Epsilon,

    /// <summary>The data x (diffusers "sample").</summary>
    Sample,

    /// <summary>v = alpha eps - sigma x (diffusers "v_prediction").</summary>
    V,

    /// <summary>2C channels, an x head then an eps head, mixed as x = sigma^2 x_pred + (1 - sigma^2) x(eps_pred).</summary>
    Both,
}
