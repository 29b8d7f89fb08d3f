from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.forms import ProfileForm, SignupForm
from courses.services import UNKNOWN_JOIN_CODE
from courses.throttles import join_code_wait, record_wrong_join_code, wait_message


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None, initial={"join_code": request.GET.get("code", "")})
    wait = join_code_wait(request) if request.method == "POST" and request.POST.get("join_code") else None
    if wait is not None:
        form.add_error(None, wait_message(wait))
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.sign_up(
                data["email"], data["password1"], data["first_name"], data["last_name"], data["join_code"]
            )
        except ValidationError as exc:
            if exc.code == UNKNOWN_JOIN_CODE:
                record_wrong_join_code(request)
            form.add_error("join_code", exc.messages[0])
        else:
            login(request, user, backend="accounts.backends.EmailOrUsernameBackend")
            messages.success(request, "Welcome! Your account is ready.")
            return redirect("home")
    status = 429 if wait is not None else 400 if form.errors else 200
    response = render(request, "registration/signup.html", {"form": form}, status=status)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("profile")
    token = Token.objects.filter(user=request.user).first()
    context = {"form": form, "token": token}
    return render(request, "registration/profile.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def api_token(request):
    services.rotate_api_token(request.user)
    messages.success(request, "A new API token is ready; the old one no longer works.")
    return redirect("profile")
