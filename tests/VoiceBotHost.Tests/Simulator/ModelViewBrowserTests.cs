using System.Text.RegularExpressions;
using Microsoft.Playwright;
using VoiceBotHost.Tests.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace VoiceBotHost.Tests.Simulator;

/// <summary>
/// The simulator's "Show what the model sees" view and its "waiting for a text" timer, in headless Debian Chromium
/// (/usr/bin/chromium), with the offline demo model: a code wait with "hold on" in the middle and the code texted back,
/// and the transcript's order when the trace (server-sent events) reaches the page after the speech (relay socket).
/// </summary>
public sealed partial class ModelViewBrowserTests
{
    [Fact]
    public async Task The_model_view_shows_tool_calls_results_and_reply_lines_in_order_and_the_wait_is_timed()
    {
        await using var host = await VoiceBotTestHost.StartAsync();
        await using var chromium = await HeadlessChromium.StartAsync();
        var (page, pageErrors) = await chromium.NewDesktopPageAsync();

        await page.GotoAsync(host.BaseUri.AbsoluteUri);
        await Expect(page.Locator("#model-toggle")).ToBeCheckedAsync();
        await Expect(page.Locator("#call-button")).ToBeEnabledAsync();
        await page.ClickAsync("#call-button");
        await Expect(page.Locator("#call-status")).ToHaveTextAsync("Connected");

        await page.FillAsync("#say-input", "Can you text me a verification code?");
        await page.PressAsync("#say-input", "Enter");
        await Expect(page.Locator(".model-line.tool-call").First).ToContainTextAsync("messaging-send_otp {}");
        await Expect(page.Locator("#wait-timer")).ToBeVisibleAsync();
        await Expect(page.Locator("#wait-timer")).ToHaveTextAsync(WaitingTimer());
        var code = SixDigits().Match(await page.Locator("#thread-sms .msg.in").InnerTextAsync()).Value;
        Assert.Matches("^[0-9]{6}$", code);

        await page.FillAsync("#say-input", "Hold on, let me find my phone.");
        await page.PressAsync("#say-input", "Enter");
        await Expect(page.Locator(".turn.agent").Last).ToContainTextAsync("Sure, take your time.");
        await Expect(page.Locator(".model-line.tool-result").First).ToContainTextAsync("\"status\":\"waiting\"");
        await Expect(page.Locator("#wait-timer")).ToBeVisibleAsync();

        await page.FillAsync("#reply-input", code);
        await page.PressAsync("#reply-input", "Enter");
        await Expect(page.Locator(".turn.agent").Last).ToContainTextAsync("Your text just came in. Thanks, you're verified.");
        await Expect(page.Locator(".model-line.history")).ToContainTextAsync($"[SMS Reply]: {code}");
        await Expect(page.Locator(".model-line.tool-result").Last).ToContainTextAsync("\"status\":\"verified\"");
        await Expect(page.Locator("#wait-timer")).ToBeHiddenAsync();

        // In the transcript: the caller's text, then the line entering the history, the check, its verdict, the answer.
        var items = await page.Locator("#transcript > *").AllInnerTextsAsync();
        int IndexOf(Func<string, bool> match) => items.ToList().FindIndex(item => match(item));
        var texted = IndexOf(item => item.Contains($"Caller texted “{code}”", StringComparison.Ordinal));
        var entered = IndexOf(item => item.Contains($"[SMS Reply]: {code}", StringComparison.Ordinal));
        var check = IndexOf(item => item.Contains("verification-check_code", StringComparison.Ordinal));
        var answer = IndexOf(item => item.Contains("Your text just came in.", StringComparison.Ordinal));
        Assert.True(texted >= 0 && texted < entered && entered < check && check < answer, string.Join("\n", items));
        // The speech and the trace reach the page on two channels; the tool call the model made comes before the line
        // its action spoke, whichever arrived first.
        var sendCall = IndexOf(item => item.Contains("messaging-send_otp", StringComparison.Ordinal));
        var spokenBeforeAction = IndexOf(item => item.Contains("I'm texting you a six-digit code now", StringComparison.Ordinal));
        Assert.True(sendCall >= 0 && sendCall < spokenBeforeAction, string.Join("\n", items));
        Assert.DoesNotContain(items.Take(texted), item => item.Contains(code, StringComparison.Ordinal));

        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "simulator-model-view.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });

        await page.ClickAsync("#model-toggle");
        await Expect(page.Locator(".model-line").First).ToBeHiddenAsync();
        Assert.Empty(pageErrors);
    }

    [Fact]
    public async Task A_tool_call_whose_trace_arrives_after_the_speech_it_preceded_is_still_shown_before_it()
    {
        await using var host = await VoiceBotTestHost.StartAsync();
        await using var chromium = await HeadlessChromium.StartAsync();
        var (page, pageErrors) = await chromium.NewDesktopPageAsync();
        // Forces the late order: the page's "trace" events (server-sent) are held back until the test lets them go, so
        // the agent's speech (relay socket) is on the page first.
        await page.AddInitScriptAsync(HoldTraceEvents);

        await page.GotoAsync(host.BaseUri.AbsoluteUri);
        await Expect(page.Locator("#call-button")).ToBeEnabledAsync();
        await page.ClickAsync("#call-button");
        await Expect(page.Locator("#call-status")).ToHaveTextAsync("Connected");
        await page.FillAsync("#say-input", "Can you text me a verification code?");
        await page.PressAsync("#say-input", "Enter");
        var spoken = page.Locator(".turn.agent.relayed", new PageLocatorOptions { HasText = "I'm texting you a six-digit code now" });
        await Expect(spoken).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator(".model-line").CountAsync());

        Assert.True(await page.EvaluateAsync<int>("window.releaseTrace()") > 0);
        await Expect(page.Locator(".model-line.tool-call").First).ToContainTextAsync("messaging-send_otp {}");
        var items = await page.Locator("#transcript > *").AllInnerTextsAsync();
        var sendCall = items.ToList().FindIndex(item => item.Contains("messaging-send_otp", StringComparison.Ordinal));
        var speech = items.ToList().FindIndex(item => item.Contains("I'm texting you a six-digit code now", StringComparison.Ordinal));
        Assert.True(sendCall >= 0 && sendCall < speech, string.Join("\n", items));
        Assert.Empty(pageErrors);
    }

    /// <summary>Wraps EventSource so that "trace" listeners get nothing until <c>window.releaseTrace()</c> (which returns how many it held).</summary>
    private const string HoldTraceEvents = """
        (() => {
          const held = [];
          let holding = true;
          window.releaseTrace = () => {
            holding = false;
            const count = held.length;
            for (const [listener, event] of held.splice(0)) listener(event);
            return count;
          };
          const Native = window.EventSource;
          window.EventSource = class extends Native {
            addEventListener(type, listener, options) {
              if (type !== "trace") return super.addEventListener(type, listener, options);
              return super.addEventListener(type, (event) => holding ? held.push([listener, event]) : listener(event), options);
            }
          };
        })();
        """;

    [GeneratedRegex(@"^waiting for a text · 0:\d\d$")]
    private static partial Regex WaitingTimer();

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();
}
