from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("teams/", views.index, name="index"),
    path("teams/new/", views.create, name="create"),
    path("teams/board/", views.board, name="board"),
    path("teams/board/post/", views.board_post, name="board_post"),
    path("teams/board/post/close/", views.board_post_close, name="board_post_close"),
    path("teams/requests/", views.requests, name="requests"),
    path("teams/requests/<int:pk>/accept/", views.request_accept, name="request_accept"),
    path("teams/requests/<int:pk>/decline/", views.request_decline, name="request_decline"),
    path("teams/requests/<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("teams/invitations/<int:pk>/accept/", views.invitation_accept, name="invitation_accept"),
    path("teams/invitations/<int:pk>/decline/", views.invitation_decline, name="invitation_decline"),
    path("teams/invitations/<int:pk>/cancel/", views.invitation_cancel, name="invitation_cancel"),
    path("teams/<int:team_id>/", views.detail, name="detail"),
    path("teams/<int:team_id>/edit/", views.edit, name="edit"),
    path("teams/<int:team_id>/leave/", views.leave, name="leave"),
    path("teams/<int:team_id>/join/", views.request_join, name="request_join"),
    path("teams/<int:team_id>/invite/", views.invite, name="invite"),
    path("teams/<int:team_id>/solo/", views.request_solo, name="request_solo"),
    path("teams/<int:team_id>/solo/approve/", views.solo_approve, name="solo_approve"),
    path("teams/<int:team_id>/solo/reject/", views.solo_reject, name="solo_reject"),
    path("teams/<int:team_id>/lock/", views.lock, name="lock"),
    path("teams/<int:team_id>/unlock/", views.unlock, name="unlock"),
    path("teams/<int:team_id>/dissolve/", views.dissolve, name="dissolve"),
    path("teams/manage/", views.manage, name="manage"),
    path("teams/manage/history/", views.history, name="history"),
    path("teams/manage/move/", views.move, name="move"),
    path("teams/manage/merge/", views.merge, name="merge"),
    path("teams/manage/export.csv", views.export_csv, name="export"),
    path("teams/manage/import/", views.import_csv, name="import"),
    path("teams/manage/place/", views.place, name="place"),
    path("teams/manage/place/<int:plan_id>/", views.plan, name="plan"),
    path("teams/manage/place/<int:plan_id>/apply/", views.plan_apply, name="plan_apply"),
    path("teams/manage/place/<int:plan_id>/discard/", views.plan_discard, name="plan_discard"),
]
