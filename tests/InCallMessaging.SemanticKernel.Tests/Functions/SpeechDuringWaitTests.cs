using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>
/// Speech during a wait that is not the answer (<see cref="InCallMessageAction.ReplyPattern"/>), a wait that goes on
/// while the model talks (<see cref="CallSession.ContinueWaitInBackground"/>), and reminders on a long wait.
/// </summary>
public sealed class SpeechDuringWaitTests
{
    private const string BeforeAction = "I'm texting you a code now.";
    private const string Reminder = "Take your time, I'm still here.";

    private static InCallMessageAction CodeAction()
    {
        var action = TestRuntime.Otp(wait: true);
        action.ReplyPattern = "[0-9]{6}";
        return action;
    }

    private static async Task<(Task<System.Text.Json.JsonElement> Pending, LoopbackMessage Sent)> StartWaitAsync(Harness h)
    {
        var pending = h.InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = "123456" });
        var sent = await h.Loopback.WaitForMessageAsync().WaitAsync(Harness.Safety);
        Assert.True(SpinWait.SpinUntil(() => h.Session.IsWaitingForReply, Harness.Safety));
        return (pending, sent);
    }

    [Fact]
    public async Task Words_that_do_not_match_the_reply_pattern_leave_the_wait_running_and_the_code_said_with_spaces_answers_it()
    {
        var h = Harness.Start(CodeAction());
        var (pending, _) = await StartWaitAsync(h);

        Assert.False(h.Session.TryAnswerByVoice("Hold on, let me find my phone."));
        Assert.False(h.Session.TryAnswerByVoice("4 8 2"));
        Assert.False(pending.IsCompleted);
        Assert.True(h.Session.IsWaitingForReply);

        Assert.True(h.Session.TryAnswerByVoice("It's 1 2 3, 4 5 6."));
        var result = await pending.WaitAsync(Harness.Safety);
        Assert.Equal("answered_by_voice", result.Status());
        Assert.Equal("It's 1 2 3, 4 5 6.", result.Str("reply"));
    }

    [Fact]
    public async Task Continuing_in_the_background_returns_waiting_and_a_later_text_ends_the_wait_through_the_transcript()
    {
        var h = Harness.Start(CodeAction());
        var (pending, sent) = await StartWaitAsync(h);
        var changes = 0;
        h.Session.WaitingForReplyChanged += (_, _) => Interlocked.Increment(ref changes);

        Assert.True(h.Session.ContinueWaitInBackground());
        var result = await pending.WaitAsync(Harness.Safety);

        Assert.Equal("waiting", result.Status());
        Assert.Equal("caller_spoke", result.Reason());
        Assert.Contains("[SMS Reply]:", result.Str("detail"), StringComparison.Ordinal);
        Assert.True(h.Session.IsWaitingForReply, "The wait goes on after the action returned.");
        Assert.False(h.Session.ContinueWaitInBackground(), "No action awaits the wait any more.");

        CallMessageEventArgs? arrived = null;
        h.Session.MessageArrived += (_, args) => arrived = args;
        await h.Loopback.ReplyAsync(sent, "123456");

        // The wait ends, its change is announced and the reply arrives (in that order or not: each on its own thread).
        Assert.True(SpinWait.SpinUntil(() => !h.Session.IsWaitingForReply && Volatile.Read(ref arrived) is not null && Volatile.Read(ref changes) > 0,
            Harness.Safety));
        Assert.NotNull(arrived);
        Assert.False(arrived.ResumedWait, "Nobody awaits a background wait: the host must start a turn for the reply.");
        var history = new ChatHistory();
        Assert.Equal(1, h.Session.ApplyPendingReplies(history));
        Assert.Equal("[SMS Reply]: 123456", history[0].Content);
        Assert.Equal(1, changes);
        Assert.Equal([BeforeAction], h.Speech.Lines);
    }

    [Fact]
    public async Task A_background_wait_that_times_out_speaks_its_fallback_line()
    {
        var action = CodeAction();
        action.FallbackMessage = "I haven't got the code; we can verify later.";
        var h = Harness.Start(action);
        var (pending, _) = await StartWaitAsync(h);
        h.Session.ContinueWaitInBackground();
        await pending.WaitAsync(Harness.Safety);

        h.Time.Advance(action.ReplyTimeout);

        Assert.True(SpinWait.SpinUntil(() => !h.Session.IsWaitingForReply && h.Speech.Lines.Count == 2, Harness.Safety));
        Assert.Equal([BeforeAction, "I haven't got the code; we can verify later."], h.Speech.Lines);
    }

    [Fact]
    public async Task Matching_words_end_a_background_wait_but_leave_them_to_the_host()
    {
        var h = Harness.Start(CodeAction());
        var (pending, _) = await StartWaitAsync(h);
        h.Session.ContinueWaitInBackground();
        await pending.WaitAsync(Harness.Safety);

        Assert.False(h.Session.TryAnswerByVoice("123456"), "No action result carries the words: the host gives them to the model.");

        Assert.True(SpinWait.SpinUntil(() => !h.Session.IsWaitingForReply, Harness.Safety));
    }

    [Fact]
    public async Task The_reminder_is_spoken_at_each_interval_until_the_reply()
    {
        var action = CodeAction();
        action.ReminderMessage = Reminder;
        action.ReminderInterval = TimeSpan.FromSeconds(10);
        var h = Harness.Start(action);
        var (pending, sent) = await StartWaitAsync(h);

        h.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal([BeforeAction], h.Speech.Lines);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(SpinWait.SpinUntil(() => h.Speech.Lines.Count == 2, Harness.Safety));
        h.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(SpinWait.SpinUntil(() => h.Speech.Lines.Count == 3, Harness.Safety));

        await h.Loopback.ReplyAsync(sent, "123456");
        await pending.WaitAsync(Harness.Safety);
        h.Time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal([BeforeAction, Reminder, Reminder], h.Speech.Lines);
    }

    [Fact]
    public async Task Without_an_interval_the_reminder_comes_at_half_the_timeout_then_the_fallback()
    {
        var action = CodeAction();
        action.ReminderMessage = Reminder;
        var h = Harness.Start(action);
        var (pending, _) = await StartWaitAsync(h);

        h.Time.Advance(action.ReplyTimeout / 2);
        Assert.True(SpinWait.SpinUntil(() => h.Speech.Lines.Count == 2, Harness.Safety));
        h.Time.Advance(action.ReplyTimeout / 2);
        var result = await pending.WaitAsync(Harness.Safety);

        Assert.Equal("no_reply", result.Status());
        Assert.Equal([BeforeAction, Reminder, InCallMessageAction.DefaultFallbackMessage], h.Speech.Lines);
    }

    [Fact]
    public async Task A_wait_whose_send_failed_is_gone_and_the_next_waiting_send_gets_its_reply()
    {
        var h = Harness.Start(CodeAction());
        var changes = 0;
        h.Session.WaitingForReplyChanged += (_, _) => Interlocked.Increment(ref changes);
        h.Loopback.Responder = _ => SendResult.Failed(SendFailureReason.ProviderUnavailable, "The provider is down.");
        var failed = await h.InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = "111111" }).WaitAsync(Harness.Safety);
        Assert.Equal("failed", failed.Status());
        Assert.Equal(0, changes);
        h.Loopback.Responder = null;

        var pending = h.InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = "222222" });
        var sent = await h.Loopback.WaitForMessageAsync().WaitAsync(Harness.Safety);
        Assert.True(SpinWait.SpinUntil(() => h.Session.IsWaitingForReply, Harness.Safety));
        await h.Loopback.ReplyAsync(sent, "222222");

        var result = await pending.WaitAsync(Harness.Safety);
        Assert.Equal("replied", result.Status());
        Assert.Equal(2, changes);
    }

    [Fact]
    public void A_bad_pattern_or_interval_and_wait_settings_without_a_wait_are_start_up_errors_listed_together()
    {
        var badPattern = CodeAction();
        badPattern.ReplyPattern = "[0-9";
        badPattern.ReminderInterval = TimeSpan.FromSeconds(30);
        var noWait = TestRuntime.Summary();
        noWait.ReminderMessage = Reminder;

        var error = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(TestRuntime.Options(badPattern, noWait)));

        Assert.Contains("ReplyPattern '[0-9' is not a valid regular expression", error.Message, StringComparison.Ordinal);
        Assert.Contains("ReminderInterval 00:00:30 is out of range", error.Message, StringComparison.Ordinal);
        Assert.Contains("set WaitForReply to true", error.Message, StringComparison.Ordinal);
    }
}
