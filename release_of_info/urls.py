app_name = "release_of_info"

urlpatterns: list = []
