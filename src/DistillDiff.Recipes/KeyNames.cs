using System.Text;

namespace DistillDiff.Recipes;

/// <summary>Maps YAML key spellings (snake_case, kebab-case, PascalCase) onto C# member names and suggests fixes for typos.</summary>
internal static class KeyNames
{
    /// <summary>Lower case without '_' or '-', so <c>num_train_timesteps</c>, <c>num-train-timesteps</c> and <c>NumTrainTimesteps</c> agree.</summary>
    public static string Normalize(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (c is not ('_' or '-'))
                sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    public static string ToSnake(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                var previous = name[i - 1];
                var acronymEnds = char.IsUpper(previous) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (char.IsLower(previous) || char.IsDigit(previous) || acronymEnds)
                    sb.Append('_');
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The candidate a typo most likely meant, or null when none is close enough to be worth suggesting.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        var target = Normalize(typed);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var normalized = Normalize(candidate);
            var distance = Distance(target, normalized);
            if (distance < bestDistance && distance <= Math.Max(1, normalized.Length / 3))
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    // Edit distance where swapping two neighbouring letters counts as one edit, the commonest typo in key names.
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(d[i - 1, j - 1] + cost, Math.Min(d[i - 1, j], d[i, j - 1]) + 1);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
