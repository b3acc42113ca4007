using System.Text.RegularExpressions;
using Microsoft.Playwright;
using VoiceBotHost.Tests.TestSupport;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace VoiceBotHost.Tests.Simulator;

/// <summary>
/// The call simulator in headless Debian Chromium: start a call, ask for a code, read it on the phone, text it back,
/// and hear the agent use it. Needs /usr/bin/chromium (apt-get install -y chromium); without it the test fails.
/// </summary>
public sealed partial class CallSimulatorBrowserTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Simulator_call_texts_a_code_and_the_agent_uses_the_texted_reply()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's Chromium (apt-get install -y chromium) to run the browser test.");
        await using var host = await VoiceBotTestHost.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1320, Height = 900 } });
        var pageErrors = new List<string>();
        page.PageError += (_, error) => pageErrors.Add(error);

        await page.GotoAsync(host.BaseUri.AbsoluteUri);
        await Expect(page.Locator("#llm-badge")).ToContainTextAsync("offline demo model");
        await Expect(page.Locator("#call-button")).ToBeEnabledAsync();

        await page.ClickAsync("#call-button");
        await Expect(page.Locator("#call-status")).ToHaveTextAsync("Connected");
        await Expect(page.Locator(".turn.agent").First).ToContainTextAsync("Ava from Acme");

        await page.FillAsync("#say-input", "Hi! Can you text me a verification code?");
        await page.PressAsync("#say-input", "Enter");
        var sms = page.Locator("#thread-sms .msg.in");
        await Expect(sms).ToContainTextAsync("Your Acme verification code is");
        await Expect(page.Locator(".turn.agent").Nth(1)).ToContainTextAsync("I'm texting you a six-digit code now");
        await Expect(page.Locator("#thread-sms .msg.in .status")).ToContainTextAsync("Delivered");
        var code = SixDigits().Match(await sms.InnerTextAsync()).Value;
        Assert.Matches("^[0-9]{6}$", code);

        await page.FillAsync("#reply-input", code);
        await page.PressAsync("#reply-input", "Enter");
        await Expect(page.Locator("#thread-sms .msg.out .status")).ToContainTextAsync("Webhook 200 (signed)");
        await Expect(page.Locator(".turn.agent").Last).ToContainTextAsync("Thanks, you're verified.");

        await page.FillAsync("#say-input", "Great. I'd also like to pay my bill.");
        await page.PressAsync("#say-input", "Enter");
        await Expect(page.Locator("#thread-whatsapp .msg.in")).ToContainTextAsync("Acme: your payment of $49.00 is ready");
        await Expect(page.Locator(".turn.agent").Last).ToContainTextAsync("payment link for $49.00 is on your WhatsApp");
        await Expect(page.Locator("#thread-whatsapp .msg.in .status")).ToContainTextAsync("Delivered");

        await page.ClickAsync(".tab[data-channel=sms]");
        await Expect(page.Locator("#thread-sms")).ToBeVisibleAsync();
        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "simulator.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"Screenshot: {screenshot}");

        await page.ClickAsync("#call-button");
        await Expect(page.Locator("#call-status")).ToHaveTextAsync("Call ended");
        Assert.True(await VoiceBotTestHost.EventuallyAsync(() => host.Calls.ActiveCount == 0), "Hanging up should end the call session.");
        Assert.Empty(pageErrors);
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();
}
