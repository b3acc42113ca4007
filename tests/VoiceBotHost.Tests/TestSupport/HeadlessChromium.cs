using Microsoft.Playwright;

namespace VoiceBotHost.Tests.TestSupport;

/// <summary>Debian's Chromium (/usr/bin/chromium), headless, as every browser test of the simulator launches it.</summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Path = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    /// <summary>The running browser.</summary>
    public IBrowser Browser { get; }

    /// <summary>Starts Playwright and the browser; fails the test with the install command when Chromium is missing.</summary>
    public static async Task<HeadlessChromium> StartAsync()
    {
        Assert.True(File.Exists(Path), $"{Path} is missing: install Debian's Chromium (apt-get install -y chromium) to run the browser test.");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Path,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A page at the desktop size the simulator tests use, and the list its script errors land in.</summary>
    public async Task<(IPage Page, List<string> PageErrors)> NewDesktopPageAsync()
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1320, Height = 900 } });
        var pageErrors = new List<string>();
        page.PageError += (_, error) => pageErrors.Add(error);
        return (page, pageErrors);
    }

    /// <summary>Closes the browser, then Playwright.</summary>
    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
