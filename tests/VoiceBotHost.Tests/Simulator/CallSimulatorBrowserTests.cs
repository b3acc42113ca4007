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
    [Fact]
    public async Task Simulator_call_texts_a_code_and_the_agent_uses_the_texted_reply()
    {
        await using var host = await VoiceBotTestHost.StartAsync();
        await using var chromium = await HeadlessChromium.StartAsync();
        var (page, pageErrors) = await chromium.NewDesktopPageAsync();

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

    [Fact]
    public async Task After_a_call_with_a_booking_the_confirmation_text_arrives_on_the_simulated_phone()
    {
        await using var host = await VoiceBotTestHost.StartAsync();
        await using var chromium = await HeadlessChromium.StartAsync();
        var (page, pageErrors) = await chromium.NewDesktopPageAsync();
        // The relay socket's close reaches the page a second late (a slow close handshake), so the after-call text the host
        // sends on seeing the close can come first: the page still shows the hang-up before it.
        await page.AddInitScriptAsync(SlowSocketClose);
        await page.GotoAsync(host.BaseUri.AbsoluteUri);
        await page.ClickAsync("#call-button");
        await Expect(page.Locator(".turn.agent").First).ToContainTextAsync("Ava from Acme");

        await page.ClickAsync(".chip:has-text('book a technician visit')");
        await Expect(page.Locator(".turn.agent").Last).ToContainTextAsync("I'll text you the confirmation after our call.");
        await Expect(page.Locator("#thread-sms .msg.in")).ToHaveCountAsync(0);
        await page.ClickAsync("#call-button");
        await Expect(page.Locator("#call-status")).ToHaveTextAsync("Call ended");

        var confirmation = page.Locator("#thread-sms .msg.in");
        await Expect(confirmation).ToHaveCountAsync(1);
        await Expect(confirmation).ToContainTextAsync("Acme: your technician visit is booked for");
        await Expect(confirmation.Locator(".status")).ToContainTextAsync("Delivered");
        await Expect(page.Locator("#transcript .note").Last).ToHaveTextAsync("SMS sent by send_booking_confirmation after the call → caller's phone");
        Assert.Empty(pageErrors);
    }

    /// <summary>Wraps WebSocket so that the page's close handler runs a second after the socket closed.</summary>
    private const string SlowSocketClose = """
        (() => {
          const Native = window.WebSocket;
          window.WebSocket = class extends Native {
            set onclose(handler) { super.onclose = (event) => setTimeout(() => handler(event), 1000); }
            get onclose() { return super.onclose; }
          };
        })();
        """;

    /// <summary>The controls a caller needs; each must be whole on screen once scrolled to.</summary>
    private static readonly string[] KeyControls =
    [
        "#call-button", "#say-input", "#say-button", "#keypad-toggle", "#suggestions .chip >> nth=0",
        "#caller-number", "#agent-number", ".tab[data-channel=sms]", ".tab[data-channel=whatsapp]", "#thread-number",
        "#reply-input", "#reply-button", "#phone-time",
    ];

    /// <summary>The numbers on the page: each on one line, never broken in the middle.</summary>
    private static readonly string[] Numbers = ["#caller-number", "#agent-number", "#thread-number"];

    [Theory]
    [InlineData(1024, 700)]
    [InlineData(390, 844)]
    public async Task Simulator_is_usable_at_laptop_and_phone_sizes_without_sideways_scroll_or_failed_requests(int width, int height)
    {
        await using var host = await VoiceBotTestHost.StartAsync();
        await using var chromium = await HeadlessChromium.StartAsync();
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var problems = WatchForProblems(page);

        await page.GotoAsync(host.BaseUri.AbsoluteUri);
        await Expect(page.Locator("#call-button")).ToBeEnabledAsync();
        await page.ClickAsync("#call-button");
        await Expect(page.Locator(".turn.agent").First).ToContainTextAsync("Ava from Acme");
        await page.FillAsync("#say-input", "Can you text me a verification code?");
        await page.PressAsync("#say-input", "Enter");
        await Expect(page.Locator("#thread-sms .msg.in .status")).ToContainTextAsync("Delivered");

        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", $"simulator-{width}x{height}.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"Screenshot: {screenshot}");

        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"At {width}x{height} the page scrolls sideways by {overflow} px (see {screenshot}).");
        foreach (var selector in KeyControls)
        {
            var control = page.Locator(selector);
            await control.EvaluateAsync("element => element.scrollIntoView({ block: 'center', inline: 'center' })");
            await Expect(control).ToBeVisibleAsync();
            await Expect(control).ToBeInViewportAsync(new LocatorAssertionsToBeInViewportOptions { Ratio = 1 });
            var clippedBy = await control.EvaluateAsync<string?>(ClippingAncestorScript);
            Assert.True(clippedBy is null, $"At {width}x{height}, {selector} is cut off by {clippedBy} (see {screenshot}).");
        }

        foreach (var selector in Numbers)
        {
            var lines = await page.Locator(selector).EvaluateAsync<int>(LineCountScript);
            var text = await page.Locator(selector).InnerTextAsync();
            Assert.True(lines == 1, $"At {width}x{height}, {selector} ('{text}') wraps onto {lines} lines (see {screenshot}).");
        }

        if (width >= 1000)
        {
            // On a laptop screen the whole phone, its text box included, is on screen without scrolling the page.
            await page.EvaluateAsync("() => window.scrollTo(0, 0)");
            await Expect(page.Locator("#reply-input")).ToBeInViewportAsync(new LocatorAssertionsToBeInViewportOptions { Ratio = 1 });
            await Expect(page.Locator("#say-input")).ToBeInViewportAsync(new LocatorAssertionsToBeInViewportOptions { Ratio = 1 });
        }

        Assert.Empty(problems);
    }

    [Fact]
    public async Task The_phones_clock_ticks()
    {
        await using var host = await VoiceBotTestHost.StartAsync();
        await using var chromium = await HeadlessChromium.StartAsync();
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { Locale = "en-US", TimezoneId = "UTC" });
        var problems = WatchForProblems(page);
        await page.Clock.InstallAsync(new ClockInstallOptions { TimeDate = new DateTime(2026, 11, 30, 9, 41, 30, DateTimeKind.Utc) });

        await page.GotoAsync(host.BaseUri.AbsoluteUri);
        await Expect(page.Locator("#phone-time")).ToHaveTextAsync("9:41 AM");
        await page.Clock.RunForAsync(60_000);

        await Expect(page.Locator("#phone-time")).ToHaveTextAsync("9:42 AM");
        Assert.Empty(problems);
    }

    /// <summary>Page errors, console errors and failed requests (a 404 for a favicon included), as they happen.</summary>
    private static List<string> WatchForProblems(IPage page)
    {
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add($"console error: {message.Text}");
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                problems.Add($"HTTP {response.Status}: {response.Url}");
            }
        };
        page.RequestFailed += (_, request) => problems.Add($"request failed: {request.Url} ({request.Failure})");
        return problems;
    }

    /// <summary>The first ancestor that hides overflow and cuts the element off, or null.</summary>
    private const string ClippingAncestorScript = """
        element => {
          const box = element.getBoundingClientRect();
          for (let parent = element.parentElement; parent; parent = parent.parentElement) {
            const style = getComputedStyle(parent);
            if (style.overflowX === "visible" && style.overflowY === "visible") continue;
            const frame = parent.getBoundingClientRect();
            if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5 || box.top < frame.top - 0.5 || box.bottom > frame.bottom + 0.5) {
              return `${parent.tagName.toLowerCase()}${parent.id ? "#" + parent.id : ""}.${parent.className}`;
            }
          }
          return null;
        }
        """;

    /// <summary>How many lines an element's text takes.</summary>
    private const string LineCountScript = """
        element => {
          const range = document.createRange();
          range.selectNodeContents(element);
          return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        }
        """;

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();
}
