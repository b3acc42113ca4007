using System.ComponentModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;

namespace VoiceBotHost.Agent;

/// <summary>
/// The sample's stand-in for a scheduling system: books a technician visit for the caller (the next weekday morning;
/// there is no real calendar) and keeps the window and the booking reference on the call, in the call variables the
/// after-call confirmation text reads (<c>send_booking_confirmation</c> in appsettings.json). The text therefore
/// carries what was booked, never what a model remembers of it, and without a booking its template has nothing to
/// fill, so it cannot go out half-filled.
/// </summary>
public sealed class BookingPlugin(TimeProvider time)
{
    public const string PluginName = "appointments";

    /// <summary>The call variable with the booked window, such as "Tuesday 1 December, 10am-12pm".</summary>
    public const string WindowVariable = "visit_window";

    /// <summary>The call variable with the booking reference, such as "AC-482913".</summary>
    public const string ReferenceVariable = "booking_reference";

    [KernelFunction("book_technician_visit")]
    [Description("Books a technician visit to the caller's home, in the next free window, when the caller asks for one (no internet, a faulty router, an installation). Returns the window and the booking reference to tell the caller. The confirmation text goes out by itself after the call.")]
    public string BookTechnicianVisit(Kernel kernel)
    {
        if (kernel.GetCallSession() is not { IsActive: true } call)
        {
            return JsonSerializer.Serialize(new { status = "error", detail = "No call is live on this kernel; nothing was booked." });
        }

        var window = NextWindow(time.GetLocalNow());
        var reference = "AC-" + RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        call.SetVariable(WindowVariable, window);
        call.SetVariable(ReferenceVariable, reference);
        return JsonSerializer.Serialize(new
        {
            status = "booked",
            window,
            reference,
            detail = "Tell the caller the window and the reference. A confirmation text follows after the call; do not send one now.",
        });
    }

    /// <summary>The next weekday after <paramref name="now"/>, 10am to 12pm.</summary>
    internal static string NextWindow(DateTimeOffset now)
    {
        var day = now.Date.AddDays(1);
        while (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            day = day.AddDays(1);
        }

        return day.ToString("dddd d MMMM", CultureInfo.InvariantCulture) + ", 10am-12pm";
    }
}
