namespace DistillDiff.Training.Tests.Reports;

using System.Diagnostics;

/// <summary>Renders a local HTML file in headless Chromium (offline flags, a fresh profile) to a screenshot and returns
/// the page's console messages (Chromium logs them to stderr as "CONSOLE" lines with --enable-logging=stderr).</summary>
internal static class HeadlessChromium
{
    public static string Executable =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("headless Chromium is needed for the report test: apt-get install chromium (tools/setup.sh installs it)");

    public static IReadOnlyList<string> Render(string htmlPath, string screenshotPath, int width = 1280, int height = 2000)
    {
        var profile = Directory.CreateTempSubdirectory("dd-chromium-").FullName;
        try
        {
            var psi = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                $"--window-size={width},{height}", $"--screenshot={screenshotPath}", new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri,
            }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not render {htmlPath} in 2 minutes");
            }
            return stderr.Result.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
