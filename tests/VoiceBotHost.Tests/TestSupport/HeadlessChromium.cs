using Microsoft.Playwright;

namespace VoiceBotHost.Tests.TestSupport;

/// <summary>Debian's Chromium (/usr/bin/chromium), headless, as every browser test of the simulator launches it.</summary>
internal static class HeadlessChromium
{
    public const string Path = "/usr/bin/chromium";

    /// <summary>Launches it; fails the test with the install command when it is missing.</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Path), $"{Path} is missing: install Debian's Chromium (apt-get install -y chromium) to run the browser test.");
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A page of <paramref name="browser"/> at the desktop size the simulator tests use, whose script errors land in <paramref name="pageErrors"/>.</summary>
    public static async Task<IPage> NewDesktopPageAsync(IBrowser browser, List<string> pageErrors)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1320, Height = 900 } });
        page.PageError += (_, error) => pageErrors.Add(error);
        return page;
    }
}
