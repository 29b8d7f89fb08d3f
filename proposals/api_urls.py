from django.urls import path

from proposals import api

urlpatterns = [
    path("proposal-template/", api.ProposalTemplateView.as_view(), name="api-proposal-template"),
    path("proposals/", api.ProposalList.as_view(), name="api-proposal-list"),
    path("proposals/mine/", api.MyProposal.as_view(), name="api-proposal-mine"),
    path("proposals/<int:pk>/", api.ProposalDetail.as_view(), name="api-proposal-detail"),
    path("proposals/<int:pk>/draft/", api.DraftView.as_view(), name="api-proposal-draft"),
    path("proposals/<int:pk>/submit/", api.SubmitProposal.as_view(), name="api-proposal-submit"),
    path("proposals/<int:pk>/revisions/", api.RevisionList.as_view(), name="api-proposal-revisions"),
    path("proposals/<int:pk>/revisions/<int:number>/", api.RevisionDetail.as_view(), name="api-proposal-revision"),
    path("proposals/<int:pk>/diff/", api.RevisionDiff.as_view(), name="api-proposal-diff"),
    path("proposals/<int:pk>/reviews/", api.ReviewList.as_view(), name="api-proposal-reviews"),
    path("proposals/<int:pk>/comments/", api.ProposalCommentList.as_view(), name="api-proposal-comments"),
    path("updates/", api.UpdateList.as_view(), name="api-update-list"),
    path("updates/weeks/", api.WeekList.as_view(), name="api-update-weeks"),
    path("updates/grid/", api.UpdateGrid.as_view(), name="api-update-grid"),
    path("updates/feed/", api.Feed.as_view(), name="api-update-feed"),
    path("updates/<int:pk>/", api.UpdateDetail.as_view(), name="api-update-detail"),
    path("updates/<int:pk>/comments/", api.UpdateCommentList.as_view(), name="api-update-comments"),
]
